import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import {
  PRODUCER_SOURCES,
  type ConnectWebRtcTransportParams,
  type ConsumerRef,
  type CreateWebRtcTransportParams,
  type DataConsumerRef,
  type DataProducerRef,
  type DtlsParameters,
  type MediaKind,
  type ProduceDataParams,
  type ProduceParams,
  type ProducerAppData,
  type ProducerRef,
  type RtpParameters,
  type SctpCapabilities,
  type SctpStreamParameters,
  type SetConsumerPreferredLayersParams,
  type SetConsumerPriorityParams,
  type TransportDirection,
  type TransportRef,
} from '@confer/signaling-contracts';

// mediasoup validates RTP/DTLS/SCTP objects in depth (TypeError → invalid_request);
// the DTOs check their outer shape and everything Confer itself relies on.

const ID = { min: 1, max: 64 };

function IsProducerAppData(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isProducerAppData',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' && value !== null && (PRODUCER_SOURCES as readonly unknown[]).includes((value as ProducerAppData).source),
        defaultMessage: () => `appData must be an object whose source is one of ${PRODUCER_SOURCES.join(', ')}`,
      },
    },
    options,
  );
}

class NumStreamsDto {
  @IsInt() @Min(1) @Max(65535) OS!: number;
  @IsInt() @Min(1) @Max(65535) MIS!: number;
}

export class SctpCapabilitiesDto implements SctpCapabilities {
  @ValidateNested() @Type(() => NumStreamsDto) numStreams!: NumStreamsDto;
}

export class CreateWebRtcTransportDto implements CreateWebRtcTransportParams {
  @IsIn(['send', 'recv']) direction!: TransportDirection;
  @IsOptional() @ValidateNested() @Type(() => SctpCapabilitiesDto) sctpCapabilities?: SctpCapabilitiesDto;
  @IsOptional() @IsBoolean() forceTcp?: boolean;
}

export class TransportRefDto implements TransportRef {
  @IsString() @Length(ID.min, ID.max) transportId!: string;
}

export class ConnectWebRtcTransportDto extends TransportRefDto implements ConnectWebRtcTransportParams {
  @IsObject() dtlsParameters!: DtlsParameters;
}

export class ProduceDto extends TransportRefDto implements ProduceParams {
  @IsIn(['audio', 'video']) kind!: MediaKind;
  @IsObject() rtpParameters!: RtpParameters;
  @IsProducerAppData() appData!: ProducerAppData;
  @IsOptional() @IsBoolean() paused?: boolean;
}

export class ProducerRefDto implements ProducerRef {
  @IsString() @Length(ID.min, ID.max) producerId!: string;
}

export class ConsumerRefDto implements ConsumerRef {
  @IsString() @Length(ID.min, ID.max) consumerId!: string;
}

export class SetConsumerPreferredLayersDto extends ConsumerRefDto implements SetConsumerPreferredLayersParams {
  @IsInt() @Min(0) @Max(15) spatialLayer!: number;
  @IsOptional() @IsInt() @Min(0) @Max(15) temporalLayer?: number;
}

export class SetConsumerPriorityDto extends ConsumerRefDto implements SetConsumerPriorityParams {
  @IsInt() @Min(1) @Max(255) priority!: number;
}

export class ProduceDataDto extends TransportRefDto implements ProduceDataParams {
  @IsObject() sctpStreamParameters!: SctpStreamParameters;
  @IsOptional() @IsString() @Length(0, 128) label?: string;
  @IsOptional() @IsString() @Length(0, 128) protocol?: string;
  @IsOptional() @IsObject() appData?: Record<string, unknown>;
}

export class DataProducerRefDto implements DataProducerRef {
  @IsString() @Length(ID.min, ID.max) dataProducerId!: string;
}

export class DataConsumerRefDto implements DataConsumerRef {
  @IsString() @Length(ID.min, ID.max) dataConsumerId!: string;
}
